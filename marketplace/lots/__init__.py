"""Traceability: harvest lots, their allocation to order lines, trace records, QR labels, recall."""
