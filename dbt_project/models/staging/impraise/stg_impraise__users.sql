with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('users') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as user_id,
        cast(name as {{ dbt.type_string() }}) as user_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(job_title as {{ dbt.type_string() }}) as job_title,
        cast(manager_id as {{ dbt.type_string() }}) as manager_id,
        coalesce(cast(is_admin as {{ dbt.type_boolean() }}), false) as is_admin,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as status,
        cast({{ impraise_utc('deactivated_at') }} as {{ dbt.type_timestamp() }}) as deactivated_at,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('users') }}
    from source

)

select
    user_id,
    user_name,
    email,
    job_title,
    manager_id,
    is_admin,
    status,
    deactivated_at,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
    {{ impraise_persist_pass_through_columns('users') }}
from renamed
-- dlt's merge keeps one row per id; a user a full refresh no longer found at the
-- source keeps its row, marked _deleted_at, and is left out here.
where _deleted_at is null
