with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('reviews') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as review_id,
        cast(name as {{ dbt.type_string() }}) as review_name,
        lower(trim(cast(type as {{ dbt.type_string() }}))) as review_type,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as review_status,
        cast({{ impraise_utc('start_at') }} as {{ dbt.type_timestamp() }}) as start_at,
        cast({{ impraise_utc('end_at') }} as {{ dbt.type_timestamp() }}) as end_at,
        coalesce(cast(is_anonymous as {{ dbt.type_boolean() }}), false) as is_anonymous,
        cast(created_by_id as {{ dbt.type_string() }}) as created_by_id,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('reviews') }}
    from source

)

select
    review_id,
    review_name,
    review_type,
    review_status,
    start_at,
    end_at,
    is_anonymous,
    created_by_id,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
    {{ impraise_persist_pass_through_columns('reviews') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
