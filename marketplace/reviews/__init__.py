"""Verified-purchase reviews of products, the household's reply, co-op moderation."""
