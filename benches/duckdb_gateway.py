#!/usr/bin/env python3
"""What a user would write in DuckDB instead: a bare profile of a LiteLLM SpendLogs export
(day x model_group x team: request count, token sums, median output). The peer side of
benches/compare.sh; the same query as research's reference, carried here so a clone can run it.

    python3 benches/duckdb_gateway.py SPEND_LOGS.csv
"""
import sys

import duckdb

con = duckdb.connect()
q = f"""
SELECT date_trunc('day', CAST("startTime" AS TIMESTAMPTZ)) AS day, model_group, team_id,
       count(*) AS requests, sum(prompt_tokens) AS tin, sum(completion_tokens) AS tout,
       quantile_cont(completion_tokens, 0.5) AS p50_out
FROM read_csv('{sys.argv[1]}', header=true)
GROUP BY ALL ORDER BY ALL
"""
rows = con.execute(q).fetchall()
print(len(rows), sum(r[3] for r in rows))
