"""Evaluation: EvalPlus (HumanEval+, MBPP+), LiveCodeBench, DS-1000; base and tuned model side by side."""
