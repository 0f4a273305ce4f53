"""Seed data: the CSV loader, the demo accounts, the synthetic generator, and `flask seed`."""
