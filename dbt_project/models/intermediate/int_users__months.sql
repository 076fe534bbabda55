{#-
    The months each user is reported on in the engagement marts: one row per
    user per month, from the earlier of the month they were created and the month
    of their first activity, to the last month with any activity in the
    organisation, or the month of deactivation if that is earlier (but never
    before the user's own last activity). Inactive months therefore appear, as
    rows with zero counts.

    is_account_active says whether the account could take part that month: not a
    never-accepted invitation (current status 'invited'), created before the
    month ended, and not deactivated before it began. Team headcounts count only
    those months.
-#}

with

users as (

    select
        user_id,
        status,
        created_at,
        deactivated_at
    from {{ ref('stg_impraise__users') }}

),

events as (

    select
        user_id,
        activity_month
    from {{ ref('int_engagement__events') }}

),

user_activity_bounds as (

    select
        user_id,
        min(activity_month) as first_activity_month,
        max(activity_month) as last_activity_month
    from events
    group by user_id

),

organisation_bounds as (

    -- the last month with data: any event, or failing that any user's creation
    select
        coalesce(
            (select max(activity_month) from events),
            (select max({{ impraise_month('created_at') }}) from users)
        ) as last_month

),

user_bounds as (

    select
        users.user_id,
        users.status,
        users.created_at,
        users.deactivated_at,
        {{ impraise_month('users.created_at') }} as created_month,
        user_activity_bounds.first_activity_month,
        case
            when {{ impraise_month('users.deactivated_at') }} < organisation_bounds.last_month
                then {{ impraise_month('users.deactivated_at') }}
            else organisation_bounds.last_month
        end as reporting_end_month,
        user_activity_bounds.last_activity_month
    from users
    cross join organisation_bounds
    left join user_activity_bounds
        on users.user_id = user_activity_bounds.user_id

),

user_ranges as (

    select
        user_id,
        status,
        created_at,
        deactivated_at,
        case
            when first_activity_month < created_month then first_activity_month
            else coalesce(created_month, first_activity_month)
        end as first_month,
        case
            when last_activity_month > reporting_end_month then last_activity_month
            else coalesce(reporting_end_month, last_activity_month)
        end as last_month
    from user_bounds

),

months as (

    select
        month,
        month_start_at,
        month_end_at
    from {{ ref('int_months') }}

)

select
    {{ impraise_surrogate_key(['user_ranges.user_id', 'months.month']) }} as user_month_id,
    user_ranges.user_id,
    months.month,
    months.month_start_at,
    months.month_end_at,
    coalesce(user_ranges.status != 'invited', true)
    and (user_ranges.created_at is null or user_ranges.created_at < months.month_end_at)
    and (
        user_ranges.deactivated_at is null
        or user_ranges.deactivated_at >= months.month_start_at
    ) as is_account_active
from user_ranges
inner join months
    on
        user_ranges.first_month <= months.month
        and user_ranges.last_month >= months.month
