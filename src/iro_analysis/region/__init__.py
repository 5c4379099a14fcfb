"""A region's pooled run (issue #19): many councils in one run, each benchmarked against the
region and England.

Modules: `councils` (the raw layout data/raw/<la_code>/<YEAR>/, DfE's three-digit LA codes
and names), `run` (each council's pipeline in parallel, region_kpis.csv with the pooled
row), `pooled` (processed tables as parquet partitioned by council and year, queried with
DuckDB), `report` (the benchmarking HTML report).
"""
