{#- How far the data reaches, in one row: the latest activity in the loaded
    records (feedback given, requests sent and answered, review tasks completed)
    and when dlt last loaded. The report and the metrics state both, and a month
    after the latest activity's day is not complete in the data. -#}

with

activity as (

    select max(created_at) as latest_at from {{ ref('stg_impraise__feedback') }}
    union all
    select max(created_at) from {{ ref('stg_impraise__feedback_requests') }}
    union all
    select max(answered_at) from {{ ref('stg_impraise__feedback_request_recipients') }}
    union all
    select max(completed_at) from {{ ref('stg_impraise__review_participants') }}

),

loads as (

    select max(inserted_at) as loaded_at
    from {{ source('impraise', '_dlt_loads') }}
    -- 0: the package was loaded
    where status = 0

)

select
    'data_reach' as data_reach_id,
    (select max(activity.latest_at) from activity) as latest_activity_at,
    cast(loads.loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from loads
