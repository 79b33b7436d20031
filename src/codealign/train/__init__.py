"""Training: TRL SFTTrainer over the SFT sets (:mod:`.stage`)."""
