"""Ground-floor algorithms the stages share: MinHash near-dedup and benchmark decontamination."""
