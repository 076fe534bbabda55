{%- set raw = source('impraise', 'users') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as user_id,
        {{ impraise_field('name', 'string', raw_columns) }} as user_name,
        {{ impraise_field('email', 'string', raw_columns) }} as email,
        {{ impraise_field('job_title', 'string', raw_columns) }} as job_title,
        {{ impraise_field('manager_id', 'string', raw_columns) }} as manager_id,
        {{ impraise_field('is_admin', 'bool', raw_columns) }} as is_admin,
        {{ impraise_field('status', 'enum', raw_columns) }} as status,
        {{ impraise_field('deactivated_at', 'timestamp', raw_columns) }} as deactivated_at,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'user_id') }}

)

select
    user_id,
    user_name,
    email,
    job_title,
    manager_id,
    coalesce(is_admin, false) as is_admin,
    status,
    deactivated_at,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
