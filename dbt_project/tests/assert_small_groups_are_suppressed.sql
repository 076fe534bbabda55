-- The privacy floor holds both ways: an average rating or anonymous-feedback
-- count is shown exactly when the group it summarises has at least
-- min_group_size people (a cycle's raters and the people they rated), and its
-- suppression flag says which it is.

{%- set floor = impraise_min_group_size() %}
{#- (mart, row id, suppression flag, the people counted) of the marts that average
    ratings: a cycle's average counts its raters and the people they rated -#}
{%- set rating_marts = [
    ('review_topic_ratings', 'review_topic_id', 'is_suppressed', 'raters_count'),
    (
        'review_cycle_summary', 'review_id', 'is_avg_rating_suppressed',
        'least(raters_count, rated_people_count)'
    ),
] %}

with

-- The people of each team month who received anonymous feedback, counted here
-- (team_engagement_monthly does not show the count): the members whose account
-- was active that month, credited to the teams they were in when it arrived.
anonymous_recipients as (

    select
        memberships.team_id,
        events.activity_month as month,
        count(distinct events.user_id) as recipients_count
    from {{ ref('int_engagement__events') }} as events
    inner join {{ ref('int_users__team_membership_history') }} as memberships
        on
            events.user_id = memberships.user_id
            and {{ impraise_in_window('memberships', 'events.occurred_at') }}
    inner join {{ ref('int_users__months') }} as user_months
        on
            events.user_id = user_months.user_id
            and events.activity_month = user_months.month
    where
        events.event_type = 'feedback_received'
        and events.is_anonymous
        and user_months.is_account_active
    group by
        memberships.team_id,
        events.activity_month

),

team_months as (

    select
        teams.team_month_id,
        teams.anonymous_feedback_received,
        teams.is_anonymous_feedback_suppressed,
        coalesce(anonymous_recipients.recipients_count, 0) as recipients_count
    from {{ ref('team_engagement_monthly') }} as teams
    left join anonymous_recipients
        on
            teams.team_id = anonymous_recipients.team_id
            and teams.month = anonymous_recipients.month

)

{% for mart, row_id, is_suppressed, people in rating_marts %}
    select
        '{{ mart }}' as model,
        {{ row_id }} as row_id
    from {{ ref(mart) }}
    where
        ({{ people }} < {{ floor }} and (avg_rating is not null or not {{ is_suppressed }}))
        or ({{ people }} >= {{ floor }} and (avg_rating is null or {{ is_suppressed }}))

    union all
{% endfor %}

select
    'team_engagement_monthly' as model,
    team_month_id as row_id
from team_months
where
    (
        recipients_count < {{ floor }}
        and (anonymous_feedback_received is not null or not is_anonymous_feedback_suppressed)
    )
    or (
        recipients_count >= {{ floor }}
        and (anonymous_feedback_received is null or is_anonymous_feedback_suppressed)
    )
