"""Claim checks as one relational plan over columnar tables, run by DuckDB on one machine
and by Apache Spark on a cluster (docs/claims-at-scale.md).

- `edit_parquet.py`: the knowledge base's edit tables written once as Parquet, the form a
  columnar engine (or a Spark job on another machine) reads;
- `facts.py`: what the rule modules say about single values (a code, a modifier on a code,
  a diagnosis), computed by their own Python functions over the distinct values of a batch;
- `plan.py`: the rules as SQL over those tables, written once, with `dialect.py` naming the
  few functions DuckDB and Spark SQL spell differently;
- `inputs.py`: claims read by the streaming readers as the plan's `lines` tables;
  `csv_fast.py`: a clean CSV file read by DuckDB itself into those tables;
- `chunks.py`: a batch cut into chunks of whole scopes (a patient's claims together);
- `duck.py`, `spark.py`, `run.py`: the plan run by DuckDB or a local Spark, a chunk at a
  time, findings out as Arrow (`out.py` writes them to Parquet, CSV or JSON Lines);
- `submit.py`: the `spark-submit` job for a cluster.

The streaming engine (`medref.claims.engine`) stays for the API and small inputs; the
differential tests keep the two from drifting, rule by rule.
"""
