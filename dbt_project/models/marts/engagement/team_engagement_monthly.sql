{#- Team engagement per month, each person's activity credited to the team they
    were in when it happened (user history; doc block attribution_windows).
    Only members whose account was active that month count, in the headcount and
    in the activity, so every share is at most 1. -#}

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
    inner join member_months
        on
            memberships.team_id = member_months.team_id
            and events.user_id = member_months.user_id
            and events.activity_month = member_months.month

),

headcounts as (

    select
        team_id,
        month,
        count(*) as active_headcount
    from member_months
    group by
        team_id,
        month

),

activity as (

    select
        team_id,
        month,
        {{ impraise_count_distinct_if("event_type = 'feedback_given'", 'user_id') }}
            as givers_count,
        {{ impraise_count_distinct_if("event_type = 'feedback_received'", 'user_id') }}
            as receivers_count,
        {{ impraise_count_if("event_type = 'feedback_given'") }} as feedback_given,
        {{ impraise_count_if("event_type = 'feedback_received'") }} as feedback_received,
        {{ impraise_count_if("event_type = 'feedback_received' and is_anonymous") }}
            as anonymous_feedback_received,
        {{ impraise_count_distinct_if(
            "event_type = 'feedback_received' and is_anonymous", 'user_id'
        ) }}
            as anonymous_feedback_recipients_count,
        {{ impraise_count_if("event_type = 'request_received'") }} as requests_received,
        {{ impraise_count_if("event_type = 'request_received' and is_done") }} as requests_answered,
        {{ impraise_count_if("event_type = 'review_task_due'") }} as review_tasks_due,
        {{ impraise_count_if("event_type = 'review_task_due' and is_done") }}
            as review_tasks_completed
    from team_events
    group by
        team_id,
        month

),

combined as (

    select
        headcounts.team_id,
        teams.team_name,
        headcounts.month,
        headcounts.active_headcount,
        {{ impraise_zero_if_missing('activity', [
            'givers_count',
            'receivers_count',
            'feedback_given',
            'feedback_received',
            'anonymous_feedback_received',
            'anonymous_feedback_recipients_count',
            'requests_received',
            'requests_answered',
            'review_tasks_due',
            'review_tasks_completed',
        ]) }}
    from headcounts
    inner join teams
        on headcounts.team_id = teams.team_id
    left join activity
        on
            headcounts.team_id = activity.team_id
            and headcounts.month = activity.month

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
    requests_received,
    requests_answered,
    {{ impraise_safe_divide('requests_answered', 'requests_received') }} as request_response_rate,
    review_tasks_due,
    review_tasks_completed,
    {{ impraise_safe_divide('review_tasks_completed', 'review_tasks_due') }}
        as review_completion_rate
from combined
