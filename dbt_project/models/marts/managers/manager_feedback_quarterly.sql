{#- One row per manager and calendar quarter: the direct reports they had in it
    (active users who had them as manager at some time in the quarter) and how
    many of those received feedback from them in it (int_managers__report_months),
    so whether they gave feedback to every report. Person-level (for analysts);
    the metric managers_covering_every_report_share counts at least
    `min_group_size` managers. -#}

with

report_quarters as (

    select
        manager_id,
        user_id,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date) as quarter,
        sum(feedback_from_manager_count) as feedback_from_manager_count
    from {{ ref('int_managers__report_months') }}
    group by
        manager_id,
        user_id,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date)

)

select
    {{ impraise_surrogate_key(['manager_id', 'quarter']) }} as manager_quarter_id,
    manager_id,
    quarter,
    count(*) as direct_reports_count,
    {{ impraise_count_if('feedback_from_manager_count > 0') }} as reports_given_feedback_count,
    {{ impraise_count_if('feedback_from_manager_count > 0') }} = count(*)
        as gave_feedback_to_every_report
from report_quarters
group by
    manager_id,
    quarter
