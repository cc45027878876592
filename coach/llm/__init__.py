"""The model tiers (scripted, local GGUF, any OpenAI-compatible server) and their prompts.

Imports nothing by itself: LangChain and llama.cpp load only in a process that uses a model."""
