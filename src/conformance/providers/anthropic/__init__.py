"""providers.anthropic."""
