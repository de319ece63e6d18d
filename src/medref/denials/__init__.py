"""835 remittance advice: read it (`read835`) and explain each adjusted line, re-checked by
the claim rules (`explain`)."""
