"""What an operator sees: metrics (Prometheus) and logs (text or JSON)."""
