{#- One row per user and month in which the user was active and had a manager
    (int_managers__report_months): whether they received feedback from their
    manager that month. The input of manager_feedback_coverage. A user whose
    manager changed within the month counts once, covered when either manager
    gave them feedback while being their manager. -#}

with

report_months as (

    select
        user_id,
        month,
        manager_id,
        feedback_from_manager_count
    from {{ ref('int_managers__report_months') }}

)

select
    {{ impraise_surrogate_key(['user_id', 'month']) }} as user_month_id,
    user_id,
    month,
    count(*) as managers_count,
    sum(feedback_from_manager_count) as feedback_from_manager_count,
    sum(feedback_from_manager_count) > 0 as received_manager_feedback
from report_months
group by
    user_id,
    month
