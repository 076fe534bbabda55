{%- set raw = source('impraise', 'teams') -%}
{%- set raw_columns = impraise_raw_columns(raw) -%}

with

source as {{ impraise_inline_cte() }} (

    select
        {{ impraise_field('id', 'string', raw_columns) }} as team_id,
        {{ impraise_field('name', 'string', raw_columns) }} as team_name,
        {{ impraise_field('parent_team_id', 'string', raw_columns) }} as parent_team_id,
        {{ impraise_field('lead_id', 'string', raw_columns) }} as lead_id,
        {{ impraise_record_metadata(raw_columns) }}
    from {{ impraise_raw_from(raw, raw_columns) }}

),

latest as (

    {{ impraise_latest_records('source', 'team_id') }}

)

select
    team_id,
    team_name,
    parent_team_id,
    lead_id,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
from latest
