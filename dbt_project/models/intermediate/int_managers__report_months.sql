{#- One row per user, month and manager: the user was active in the month
    (created by its last day, not deactivated before its first) and had that
    manager at some time in it (user history, doc block attribution_windows),
    whether or not the manager is still active. A manager change within the
    month gives the user a row for each manager. Feedback counts for a row when
    it is unflagged, signed (not anonymous), given in the month by that manager
    while they were the user's manager (fct_feedback.is_manager_to_report). -#}

with

users as (

    select
        user_id,
        created_at,
        deactivated_at
    from {{ ref('stg_impraise__users') }}

),

user_months as (

    select
        user_months.user_id,
        user_months.month,
        user_months.month_start_at,
        user_months.month_end_at
    from {{ ref('int_users__months') }} as user_months
    inner join users
        on user_months.user_id = users.user_id
    where
        users.created_at < user_months.month_end_at
        and (users.deactivated_at is null or users.deactivated_at >= user_months.month_start_at)

),

versions as (

    select
        user_id,
        manager_id,
        attribution_from,
        attribution_to
    from {{ ref('int_users__versions') }}
    where manager_id is not null

),

managed as (

    select distinct
        user_months.user_id,
        user_months.month,
        versions.manager_id
    from user_months
    inner join versions
        on
            user_months.user_id = versions.user_id
            and {{ impraise_window_overlaps(
                'versions', 'user_months.month_start_at', 'user_months.month_end_at'
            ) }}

),

manager_feedback as (

    select
        recipient_id as user_id,
        sender_id as manager_id,
        created_month as month,
        count(*) as feedback_count
    from {{ ref('fct_feedback') }}
    where
        is_manager_to_report
        and not is_flagged
        and not is_anonymous
    group by
        recipient_id,
        sender_id,
        created_month

)

select
    {{ impraise_surrogate_key(['managed.user_id', 'managed.month', 'managed.manager_id']) }}
        as report_month_id,
    managed.user_id,
    managed.month,
    managed.manager_id,
    coalesce(manager_feedback.feedback_count, 0) as feedback_from_manager_count
from managed
left join manager_feedback
    on
        managed.user_id = manager_feedback.user_id
        and managed.manager_id = manager_feedback.manager_id
        and managed.month = manager_feedback.month
