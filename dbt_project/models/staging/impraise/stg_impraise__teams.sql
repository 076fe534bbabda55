with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('teams') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as team_id,
        cast(name as {{ dbt.type_string() }}) as team_name,
        cast(parent_team_id as {{ dbt.type_string() }}) as parent_team_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('teams') }}
    from source

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
    {{ impraise_persist_pass_through_columns('teams') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
