"""ASC X12 5010 files: delimiters, segments and envelopes (`tokens`, `envelope`), and a
writer for fixtures and generated files (`write`). What the segments mean for claims and
remittances lives with them: `medref.claims.x12` (837P/837I) and `medref.denials` (835)."""
