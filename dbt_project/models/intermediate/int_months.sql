{#- One row per calendar month from var calendar_start_date to two years past
    today (review cycles can end in the future), with the month's bounds as
    timestamps for comparing against *_at columns. Built with dbt.date_spine on
    constant bounds, so it compiles without any table existing. -#}

with

spine as (

    {{ dbt.date_spine(
        'month',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        dbt.dateadd('year', 2, dbt.current_timestamp())
    ) }}

),

months as (

    select cast(date_month as date) as month
    from spine

)

select
    month,
    cast(month as {{ dbt.type_timestamp() }}) as month_start_at,
    cast({{ dbt.dateadd('month', 1, 'month') }} as {{ dbt.type_timestamp() }}) as month_end_at
from months
