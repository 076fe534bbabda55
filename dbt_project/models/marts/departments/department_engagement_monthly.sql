{#- Engagement per department and month: each person counts once, in the
    department of their home team (int_users__departments), so a small team
    counts in its department instead of vanishing below the floor. Only months
    in which the person's account was active count. The rates are withheld
    (null) for a department-month with fewer active people than
    `min_group_size`. -#}

{%- set sums = [
    'feedback_given', 'feedback_received', 'requests_received', 'requests_answered',
    'review_tasks_due', 'review_tasks_completed',
] -%}

with

user_months as (

    select
        user_months.month,
        departments.department_team_id,
        departments.department_name,
        user_months.feedback_given,
        user_months.feedback_received,
        user_months.requests_received,
        user_months.requests_answered,
        user_months.review_tasks_due,
        user_months.review_tasks_completed
    from {{ ref('user_engagement_monthly') }} as user_months
    inner join {{ ref('int_users__departments') }} as departments
        on user_months.user_id = departments.user_id
    where user_months.is_account_active

),

department_months as (

    select
        department_team_id,
        max(department_name) as department_name,
        month,
        count(*) as active_headcount,
        {{ impraise_count_if('feedback_given > 0') }} as givers_count,
        {{ impraise_count_if('feedback_received > 0') }} as receivers_count,
        {% for column in sums %}
            sum({{ column }}) as {{ column }},
        {% endfor %}
        {{ impraise_is_small_group('count(*)') }} as is_below_floor
    from user_months
    group by
        department_team_id,
        month

)

select
    {{ impraise_surrogate_key(['department_team_id', 'month']) }} as department_month_id,
    department_team_id,
    department_name,
    month,
    active_headcount,
    givers_count,
    receivers_count,
    {% for column in sums %}
        {{ column }},
    {% endfor %}
    {{ impraise_suppress_small_group(
        impraise_safe_divide('givers_count', 'active_headcount'), 'active_headcount'
    ) }} as givers_share,
    {{ impraise_suppress_small_group(
        impraise_safe_divide('feedback_given', 'active_headcount', 2), 'active_headcount'
    ) }} as feedback_per_head,
    {{ impraise_suppress_small_group(
        impraise_safe_divide('review_tasks_completed', 'review_tasks_due'), 'active_headcount'
    ) }} as review_completion_rate,
    is_below_floor
from department_months
