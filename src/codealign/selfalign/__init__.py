"""The SelfCodeAlign recipe's LLM stages: instruct (S→C→I / S→I), responses (I→R), execution (sandbox verdicts), selection (the SFT set)."""
