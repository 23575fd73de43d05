"""providers.openai."""
