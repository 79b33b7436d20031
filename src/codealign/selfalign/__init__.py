"""The SelfCodeAlign recipe's LLM stages: judge, instruct (S→C→I / S→I), respond, execute, select."""
