"""Human review (A2I) tests."""
