{#- Team engagement per month for the reporting role: team_engagement_monthly
    with every figure that rests on fewer people than the privacy floor withheld.
    Team-months below the floor in active members are left out altogether (so a
    row does not say that a small team was active); a rate is null when the people
    in its denominator (members, members asked, members with review tasks) are
    below the floor, and so are the counts behind it. -#}

{%- set floor = impraise_min_group_size() %}

with

team_months as (

    select
        team_month_id,
        team_id,
        team_name,
        month,
        active_headcount,
        givers_count,
        receivers_count,
        givers_share,
        receivers_share,
        feedback_given,
        feedback_received,
        feedback_per_head,
        members_asked_count,
        requests_received,
        requests_answered,
        request_response_rate,
        members_with_review_tasks_count,
        review_tasks_due,
        review_tasks_completed,
        review_completion_rate
    from {{ ref('team_engagement_monthly') }}
    where active_headcount >= {{ floor }}

)

select
    team_month_id,
    team_id,
    team_name,
    month,
    active_headcount,
    givers_count,
    receivers_count,
    givers_share,
    receivers_share,
    feedback_given,
    feedback_received,
    feedback_per_head,
    {{ impraise_suppress_small_group('requests_received', 'members_asked_count') }}
        as requests_received,
    {{ impraise_suppress_small_group('requests_answered', 'members_asked_count') }}
        as requests_answered,
    {{ impraise_suppress_small_group('request_response_rate', 'members_asked_count') }}
        as request_response_rate,
    {{ impraise_suppress_small_group('review_tasks_due', 'members_with_review_tasks_count') }}
        as review_tasks_due,
    {{ impraise_suppress_small_group('review_tasks_completed', 'members_with_review_tasks_count') }}
        as review_tasks_completed,
    {{ impraise_suppress_small_group('review_completion_rate', 'members_with_review_tasks_count') }}
        as review_completion_rate
from team_months
