{#- Team engagement per month, each person's activity credited to the team they
    were in when it happened (user history; doc block attribution_windows).
    Only members whose account was active that month count, in the headcount and
    in the activity, so every share is at most 1. -#}

{#- (column, condition) of the activity counted per member, then summed per team -#}
{%- set member_counts = [
    ('feedback_given', "event_type = 'feedback_given'"),
    ('feedback_received', "event_type = 'feedback_received'"),
    ('anonymous_feedback_received', "event_type = 'feedback_received' and is_anonymous"),
    ('requests_received', "event_type = 'request_received'"),
    ('requests_answered', "event_type = 'request_received' and is_done"),
    ('review_tasks_due', "event_type = 'review_task_due'"),
    ('review_tasks_completed', "event_type = 'review_task_due' and is_done"),
] -%}
{#- (column, activity) of the people counts: members with any such activity -#}
{%- set people_counts = [
    ('givers_count', 'feedback_given'),
    ('receivers_count', 'feedback_received'),
    ('anonymous_feedback_recipients_count', 'anonymous_feedback_received'),
    ('members_asked_count', 'requests_received'),
    ('members_with_review_tasks_count', 'review_tasks_due'),
] -%}

with

teams as (

    select
        team_id,
        team_name
    from {{ ref('stg_impraise__teams') }}

),

memberships as (

    select
        user_id,
        team_id,
        attribution_from,
        attribution_to
    from {{ ref('int_users__team_membership_history') }}

),

active_user_months as (

    select
        user_id,
        month,
        month_start_at,
        month_end_at
    from {{ ref('int_users__months') }}
    where is_account_active

),

-- who counts in a team's month: active, and a member at any time in the month
member_months as (

    select distinct
        memberships.team_id,
        active_user_months.user_id,
        active_user_months.month
    from active_user_months
    inner join memberships
        on
            active_user_months.user_id = memberships.user_id
            and {{ impraise_window_overlaps(
                'memberships', 'active_user_months.month_start_at', 'active_user_months.month_end_at'
            ) }}

),

-- each event credited to the team(s) its person was in at the time
team_events as (

    select
        memberships.team_id,
        events.activity_month as month,
        events.user_id,
        events.event_type,
        events.is_anonymous,
        events.is_done
    from {{ ref('int_engagement__events') }} as events
    inner join memberships
        on
            events.user_id = memberships.user_id
            and {{ impraise_in_window('memberships', 'events.occurred_at') }}
    -- only the kinds of event a team figure counts
    where
        events.event_type in (
            'feedback_given', 'feedback_received', 'request_received', 'review_task_due'
        )

),

-- what each person did in each team that month: one row per team, month and
-- person with activity there. Counting per person first makes the people counts
-- (givers, receivers) plain counts instead of distinct counts over every event.
-- Integers, so that their sums per team are typed as a sum of the events would
-- be (bigint on PostgreSQL).
member_activity as (

    select
        {% for name, condition in member_counts %}
            cast({{ impraise_count_if(condition) }} as {{ dbt.type_int() }}) as {{ name }},
        {% endfor %}
        team_id,
        month,
        user_id
    from team_events
    group by
        team_id,
        month,
        user_id

),

-- per team and month, over the members whose account was active (member_months):
-- only their activity counts. Matched here, per person, rather than event by
-- event, which would hold every member month in memory while events stream by.
team_months as (

    select
        member_months.team_id,
        member_months.month,
        {% for name, activity in people_counts %}
            count(case when member_activity.{{ activity }} > 0 then 1 end) as {{ name }},
        {% endfor %}
        {% for name, condition in member_counts %}
            sum(member_activity.{{ name }}) as {{ name }},
        {% endfor %}
        count(*) as active_headcount
    from member_months
    left join member_activity
        on
            member_months.team_id = member_activity.team_id
            and member_months.month = member_activity.month
            and member_months.user_id = member_activity.user_id
    group by
        member_months.team_id,
        member_months.month

),

combined as (

    select
        team_months.team_id,
        teams.team_name,
        team_months.month,
        team_months.active_headcount,
        {% for name, activity in people_counts %}
            team_months.{{ name }},
        {% endfor %}
        -- a team month without any activity has no sums
        {{ impraise_zero_if_missing('team_months', member_counts | map('first') | list) }}
    from team_months
    inner join teams
        on team_months.team_id = teams.team_id

)

select
    {{ impraise_surrogate_key(['team_id', 'month']) }} as team_month_id,
    team_id,
    team_name,
    month,
    active_headcount,
    givers_count,
    receivers_count,
    {{ impraise_safe_divide('givers_count', 'active_headcount') }} as givers_share,
    {{ impraise_safe_divide('receivers_count', 'active_headcount') }} as receivers_share,
    feedback_given,
    feedback_received,
    {{ impraise_safe_divide('feedback_given', 'active_headcount', 2) }} as feedback_per_head,
    -- anonymous feedback is shown only for groups of recipients above the floor
    {{ impraise_suppress_small_group(
        'anonymous_feedback_received', 'anonymous_feedback_recipients_count'
    ) }} as anonymous_feedback_received,
    {{ impraise_is_small_group('anonymous_feedback_recipients_count') }}
        as is_anonymous_feedback_suppressed,
    members_asked_count,
    requests_received,
    requests_answered,
    {{ impraise_safe_divide('requests_answered', 'requests_received') }} as request_response_rate,
    members_with_review_tasks_count,
    review_tasks_due,
    review_tasks_completed,
    {{ impraise_safe_divide('review_tasks_completed', 'review_tasks_due') }}
        as review_completion_rate
from combined
