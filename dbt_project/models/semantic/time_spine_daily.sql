{#- MetricFlow's time spine: one row per calendar day, on the same calendar as
    int_months (var calendar_start_date to two years past today), so every
    metric_time a metric can fall on has a day here. A table: MetricFlow joins
    to it for time offsets and for filling empty periods. -#}
{{ config(materialized='table') }}

with

spine as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        dbt.dateadd('year', 2, dbt.current_timestamp())
    ) }}

)

select cast(date_day as date) as date_day
from spine
