with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('feedback_requests') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as feedback_request_id,
        cast(requester_id as {{ dbt.type_string() }}) as requester_id,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(question as {{ dbt.type_string() }}) as question,
        cast({{ impraise_utc('due_at') }} as {{ dbt.type_timestamp() }}) as due_at,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('feedback_requests') }}
    from source

)

select
    feedback_request_id,
    requester_id,
    subject_id,
    question,
    due_at,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
    {{ impraise_persist_pass_through_columns('feedback_requests') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
