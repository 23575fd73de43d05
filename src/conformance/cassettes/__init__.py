"""cassettes."""
