"""Audits of the whole database: `flask audit money`."""
