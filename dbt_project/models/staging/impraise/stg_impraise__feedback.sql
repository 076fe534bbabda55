with

-- The raw columns as declared in _impraise__sources.yml.
source as (

    {{ impraise_select_declared_columns('feedback') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as feedback_id,
        lower(trim(cast(type as {{ dbt.type_string() }}))) as feedback_type,
        cast(sender_id as {{ dbt.type_string() }}) as sender_id,
        cast(recipient_id as {{ dbt.type_string() }}) as recipient_id,
        cast(request_id as {{ dbt.type_string() }}) as feedback_request_id,
        cast(comment as {{ dbt.type_string() }}) as comment,
        coalesce(cast(is_anonymous as {{ dbt.type_boolean() }}), false) as is_anonymous,
        -- A missing flag means the item was never flagged.
        coalesce(cast(is_flagged as {{ dbt.type_boolean() }}), false) as is_flagged,
        cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ impraise_utc('updated_at') }} as {{ dbt.type_timestamp() }}) as updated_at,
        cast({{ impraise_utc('_deleted_at') }} as {{ dbt.type_timestamp() }}) as _deleted_at,
        cast(_dlt_id as {{ dbt.type_string() }}) as _dlt_id,
        cast(_dlt_load_id as {{ dbt.type_string() }}) as _dlt_load_id
        {{ impraise_fill_pass_through_columns('feedback') }}
    from source

)

select
    feedback_id,
    feedback_type,
    -- Impraise withholds the sender of anonymous feedback; null it defensively
    -- should a sender ever come through, so no model can de-anonymise an item.
    case when not is_anonymous then sender_id end as sender_id,
    recipient_id,
    feedback_request_id,
    comment,
    is_anonymous,
    is_flagged,
    created_at,
    updated_at,
    _dlt_id,
    _dlt_load_id
    {{ impraise_persist_pass_through_columns('feedback') }}
from renamed
-- dlt's merge keeps one row per id; rows a full refresh marked deleted are left out.
where _deleted_at is null
