"""Generation: the backend interface and its implementations, the request cache, the sharded runner, prompts."""
