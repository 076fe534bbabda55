"""The engagement report: one self-contained HTML page drawn from the dbt semantic layer.

Every figure is a MetricFlow metric (dbt_project/models/semantic/), queried in-process, so
the report, `mf query` and a BI tool on dbt's semantic layer compute it the same way.
"""
