"""Money to households: commission, the append-only ledger, balances, COD remittance, payouts."""
