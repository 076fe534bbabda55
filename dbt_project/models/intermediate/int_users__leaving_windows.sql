{#- For each person who left or stayed, the six calendar months their figures are
    compared over. A leaver is a user whose current version (dim_users_history)
    is deactivated; they left when the last run of deactivated versions began,
    and their window is the six months before the month they left. A stayer is a
    user active now; their window is the six months before the last month of
    data (int_users__months), the latest six months anyone can be seen in whole.
    Tenure is counted from the account's creation to the window's end. -#}

{%- set window_months = var('leaver_window_months') -%}

with

history as (

    select
        user_id,
        status,
        valid_from,
        is_current
    from {{ ref('dim_users_history') }}

),

current_versions as (

    select
        user_id,
        status
    from history
    where is_current

),

last_present as (

    select
        user_id,
        max(valid_from) as last_present_from
    from history
    where status != 'deactivated'
    group by user_id

),

left_at as (

    select
        history.user_id,
        min(history.valid_from) as left_at
    from history
    inner join current_versions
        on history.user_id = current_versions.user_id
    left join last_present
        on history.user_id = last_present.user_id
    where
        current_versions.status = 'deactivated'
        and history.status = 'deactivated'
        and (
            last_present.last_present_from is null
            or history.valid_from > last_present.last_present_from
        )
    group by history.user_id

),

last_month as (

    select max(month) as last_month
    from {{ ref('int_users__months') }}

),

people as (

    select
        current_versions.user_id,
        case when left_at.left_at is not null then 'leaver' else 'stayer' end as cohort,
        left_at.left_at,
        case
            when left_at.left_at is not null then {{ impraise_month('left_at.left_at') }}
            else last_month.last_month
        end as window_end_month
    from current_versions
    cross join last_month
    left join left_at
        on current_versions.user_id = left_at.user_id
    where current_versions.status in ('active', 'deactivated')

),

users as (

    select
        user_id,
        created_at
    from {{ ref('stg_impraise__users') }}

)

select
    people.user_id,
    people.cohort,
    people.left_at,
    cast({{ dbt.dateadd('month', -window_months, 'people.window_end_month') }} as date)
        as window_start_month,
    people.window_end_month,
    {{ dbt.datediff('users.created_at', 'people.window_end_month', 'month') }}
        as tenure_months
from people
inner join users
    on people.user_id = users.user_id
-- a leaver only with their last version deactivated after a spell of being active or
-- invited, a stayer only with a current active version
where people.cohort = 'stayer' or people.left_at is not null
