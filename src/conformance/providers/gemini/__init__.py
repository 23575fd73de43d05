"""providers.gemini."""
