with

user_months as (

    select
        user_month_id,
        user_id,
        month,
        is_account_active
    from {{ ref('int_users__months') }}

),

events as (

    select
        user_id,
        activity_month,
        event_type,
        feedback_type,
        is_done
    from {{ ref('int_engagement__events') }}

),

monthly_activity as (

    select
        user_id,
        activity_month,
        {{ impraise_count_if("event_type = 'feedback_given'") }} as feedback_given,
        {{ impraise_count_if("event_type = 'feedback_received'") }} as feedback_received,
        {{ impraise_count_if("event_type = 'feedback_given' and feedback_type = 'praise'") }}
            as praise_given,
        {{ impraise_count_if("event_type = 'feedback_given' and feedback_type = 'tip'") }}
            as tips_given,
        {{ impraise_count_if("event_type = 'feedback_received' and feedback_type = 'praise'") }}
            as praise_received,
        {{ impraise_count_if("event_type = 'feedback_received' and feedback_type = 'tip'") }}
            as tips_received,
        {{ impraise_count_if("event_type = 'request_sent'") }} as requests_sent,
        {{ impraise_count_if("event_type = 'request_received'") }} as requests_received,
        {{ impraise_count_if("event_type = 'request_answered'") }} as requests_answered,
        {{ impraise_count_if("event_type = 'review_task_due'") }} as review_tasks_due,
        {{ impraise_count_if("event_type = 'review_task_due' and is_done") }}
            as review_tasks_completed
    from events
    group by
        user_id,
        activity_month

)

select
    user_months.user_month_id,
    user_months.user_id,
    user_months.month,
    user_months.is_account_active,
    {{ impraise_zero_if_missing('monthly_activity', [
        'feedback_given',
        'feedback_received',
        'praise_given',
        'tips_given',
        'praise_received',
        'tips_received',
        'requests_sent',
        'requests_received',
        'requests_answered',
        'review_tasks_due',
        'review_tasks_completed',
    ]) }},
    -- doc block engagement_status: acting beats receiving beats nothing (a month
    -- without activity has no monthly_activity row, and is inactive)
    case
        when
            monthly_activity.feedback_given > 0
            or monthly_activity.requests_sent > 0
            or monthly_activity.requests_answered > 0
            or monthly_activity.review_tasks_completed > 0
            then 'active'
        when monthly_activity.feedback_received > 0 then 'passive'
        else 'inactive'
    end as engagement_status,
    -- the month and the two before it (a user's months are contiguous: singular
    -- test assert_user_months_are_contiguous)
    sum(coalesce(monthly_activity.feedback_received, 0)) over (
        partition by user_months.user_id
        order by user_months.month
        rows between 2 preceding and current row
    ) as feedback_received_3_months
from user_months
left join monthly_activity
    on
        user_months.user_id = monthly_activity.user_id
        and user_months.month = monthly_activity.activity_month
