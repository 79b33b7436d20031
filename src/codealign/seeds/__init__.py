"""The seed stage of SelfCodeAlign: corpus → extract → filter → dedup → decontaminate (→ judge)."""
