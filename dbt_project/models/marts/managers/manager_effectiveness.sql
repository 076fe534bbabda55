{#- Manager effectiveness from observed behaviour, per manager and quarter: feedback
    to their reports, responsiveness to feedback requests sent to them, on-time
    manager reviews for their team, and their team's participation, each a share
    (0 to 1), and a score weighting them by the var `manager_effectiveness_weights`
    over the behaviours the manager had occasion for. Floored on span of control:
    with fewer direct reports than `min_group_size` every figure is withheld,
    since the team's figures would describe too few people. -#}

{%- set weights = var('manager_effectiveness_weights') -%}
{%- set components = [
    'feedback_to_reports', 'request_responsiveness', 'on_time_reviews', 'team_participation',
] -%}

with

quarters as (

    select
        manager_id,
        quarter,
        direct_reports_count,
        reports_given_feedback_count
    from {{ ref('manager_feedback_quarterly') }}

),

requests as (

    select
        recipients.recipient_id as manager_id,
        cast({{ dbt.date_trunc('quarter', 'requests.created_at') }} as date) as quarter,
        count(*) as requests_received,
        {{ impraise_count_if('recipients.is_answered') }} as requests_answered
    from {{ ref('stg_impraise__feedback_request_recipients') }} as recipients
    inner join {{ ref('stg_impraise__feedback_requests') }} as requests
        on recipients.feedback_request_id = requests.feedback_request_id
    group by
        recipients.recipient_id,
        cast({{ dbt.date_trunc('quarter', 'requests.created_at') }} as date)

),

reviews as (

    select
        reviewer_id as manager_id,
        cast({{ dbt.date_trunc('quarter', 'review_end_at') }} as date) as quarter,
        count(*) as review_tasks,
        {{ impraise_count_if('is_completed and not is_completed_after_end') }}
            as review_tasks_on_time
    from {{ ref('fct_review_participation') }}
    where
        relationship = 'manager'
        and review_status = 'closed'
    group by
        reviewer_id,
        cast({{ dbt.date_trunc('quarter', 'review_end_at') }} as date)

),

team_months as (

    select
        report_months.manager_id,
        cast({{ dbt.date_trunc('quarter', 'report_months.month') }} as date) as quarter,
        count(*) as report_months,
        {{ impraise_count_if("user_months.engagement_status = 'active'") }} as active_report_months
    from {{ ref('int_managers__report_months') }} as report_months
    inner join {{ ref('user_engagement_monthly') }} as user_months
        on
            report_months.user_id = user_months.user_id
            and report_months.month = user_months.month
    group by
        report_months.manager_id,
        cast({{ dbt.date_trunc('quarter', 'report_months.month') }} as date)

),

shares as (

    select
        quarters.manager_id,
        quarters.quarter,
        quarters.direct_reports_count,
        {{ impraise_safe_divide(
            'quarters.reports_given_feedback_count', 'quarters.direct_reports_count'
        ) }} as feedback_to_reports,
        {{ impraise_safe_divide('requests.requests_answered', 'requests.requests_received') }}
            as request_responsiveness,
        {{ impraise_safe_divide('reviews.review_tasks_on_time', 'reviews.review_tasks') }}
            as on_time_reviews,
        {{ impraise_safe_divide(
            'team_months.active_report_months', 'team_months.report_months'
        ) }} as team_participation
    from quarters
    left join requests
        on
            quarters.manager_id = requests.manager_id
            and quarters.quarter = requests.quarter
    left join reviews
        on
            quarters.manager_id = reviews.manager_id
            and quarters.quarter = reviews.quarter
    left join team_months
        on
            quarters.manager_id = team_months.manager_id
            and quarters.quarter = team_months.quarter

),

{%- set weighted = [] -%}
{%- set weight_present = [] -%}
{%- for component in components -%}
    {%- do weighted.append('coalesce(' ~ component ~ ' * ' ~ weights[component] ~ ', 0)') -%}
    {%- do weight_present.append(
        'case when ' ~ component ~ ' is not null then ' ~ weights[component] ~ ' else 0 end'
    ) -%}
{%- endfor %}

scored as (

    select
        *,
        {#- At 8 places, then cast to 4 below: with weights of one decimal place (the
            defaults) the exact quotient has at most 7, or never ends, so the
            rounding cannot fall on a tie, where DuckDB's division (in doubles) and
            Spark's (in decimals) would round apart. -#}
        {{ impraise_safe_divide(weighted | join(' + '), weight_present | join(' + '), 8) }}
            as effectiveness_score
    from shares

)

select
    {{ impraise_surrogate_key(['manager_id', 'quarter']) }} as manager_quarter_id,
    manager_id,
    quarter,
    direct_reports_count as span_of_control,
    {% for column in components + ['effectiveness_score'] %}
        {{ impraise_decimal(
            impraise_suppress_small_group(column, 'direct_reports_count'), 4
        ) }} as {{ column }},
    {% endfor %}
    {{ impraise_is_small_group('direct_reports_count') }} as is_suppressed
from scored
