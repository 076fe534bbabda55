{#-
    Reading raw tables that dlt loads and may evolve.

    dlt never drops a column and never changes a column's type. When a value no
    longer fits its column (the API starts sending `"rating": "n/a"` for a bigint
    column), dlt adds a variant column next to it, `<column>__v_<type>`
    (`rating__v_text`), and leaves the original null for that row. When a bucket
    is unreadable for a token (403) its table is never created at all.

    Staging models therefore ask the warehouse which columns exist, once per
    model, and build every field with `impraise_field`, which:
      * casts the column to its business type,
      * coalesces every variant of it, safely cast to the same type,
      * yields a typed null when neither exists (a field the API dropped).
    At parse time (`execute` is false) nothing can be asked, so the plain column
    is cast; the SQL is not run then.
-#}

{% macro impraise_raw_columns(relation) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{#- The FROM target of a staging model: the raw table, or an empty row set when
    the table does not exist yet (so a missing bucket stages as an empty view
    instead of failing the whole build). -#}
{% macro impraise_raw_from(relation, raw_columns) %}
    {%- if execute and raw_columns | length == 0 -%}
        {{ log("impraise: " ~ relation ~ " does not exist; staging it as empty", info=true) }}
        (select 1 as placeholder where 1 = 0) as missing_raw_table
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{% endmacro %}


{#- kind: string | enum | int | numeric | bool | timestamp -#}
{% macro impraise_field(column_name, kind, raw_columns) %}
    {%- set column_name = column_name | lower -%}
    {%- if not execute -%}
        {{ impraise_convert(column_name, kind, from_text=false) }}
    {%- else -%}
        {%- set candidates = [] -%}
        {%- if column_name in raw_columns -%}
            {%- do candidates.append(impraise_convert(column_name, kind, from_text=false)) -%}
        {%- endif -%}
        {%- for name in raw_columns if name.startswith(column_name ~ '__v_') -%}
            {%- do candidates.append(impraise_convert(name, kind, from_text=true)) -%}
        {%- endfor -%}
        {%- if candidates | length == 0 -%}
            cast(null as {{ impraise_type(kind) }})
        {%- elif candidates | length == 1 -%}
            {{ candidates[0] }}
        {%- else -%}
            coalesce({{ candidates | join(', ') }})
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro impraise_type(kind) %}
    {%- if kind in ('string', 'enum') -%}
        {{ return(dbt.type_string()) }}
    {%- elif kind == 'int' -%}
        {{ return(dbt.type_bigint()) }}
    {%- elif kind == 'numeric' -%}
        {{ return(dbt.type_numeric()) }}
    {%- elif kind == 'bool' -%}
        {{ return(dbt.type_boolean()) }}
    {%- elif kind == 'timestamp' -%}
        {{ return(dbt.type_timestamp()) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("impraise_field: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
{% endmacro %}


{#- One raw column to its business type. A variant column (from_text) may hold
    anything, so it is cast safely: a value that does not parse becomes null. -#}
{% macro impraise_convert(column_name, kind, from_text) %}
    {%- if kind == 'timestamp' -%}
        {%- if from_text -%}
            {{ impraise_to_utc(impraise_safe_cast(column_name, 'timestamp_tz')) }}
        {%- else -%}
            {{ impraise_to_utc(column_name) }}
        {%- endif -%}
    {%- elif kind == 'enum' -%}
        {#- enumerations compare in lower case, whatever the API's casing -#}
        lower(trim(cast({{ column_name }} as {{ dbt.type_string() }})))
    {%- elif kind == 'string' or not from_text -%}
        cast({{ column_name }} as {{ impraise_type(kind) }})
    {%- else -%}
        {{ impraise_safe_cast(column_name, kind) }}
    {%- endif -%}
{% endmacro %}


{#- The record metadata every bucket table carries, named as staging exposes it
    to impraise_latest_records. -#}
{% macro impraise_record_metadata(raw_columns) %}
        {{ impraise_field('created_at', 'timestamp', raw_columns) }} as created_at,
        {{ impraise_field('updated_at', 'timestamp', raw_columns) }} as updated_at,
        {{ impraise_field('_deleted_at', 'timestamp', raw_columns) }} as _deleted_at,
        {{ impraise_field('_dlt_load_id', 'string', raw_columns) }} as _dlt_load_id,
        {{ impraise_field('_dlt_id', 'string', raw_columns) }} as _dlt_id
{%- endmacro %}


{#-
    The entries of a dlt child table (a list in the parent record, e.g.
    users.teamIds -> users__team_ids), one row per parent and entry.

    `fields` are (raw column, kind, name) triples; the first is the entry itself
    (`value` for a list of scalars) and must be set. Entries join the parent's
    staging model through dlt's parent key (`_dlt_parent_id` = parent `_dlt_id`),
    so they inherit its deduplication and deletions, and come out keyed by `key`
    (a hash of the parent's `parent_key` and the entry) with `parent_key` and the
    fields. An entry listed twice in one parent counts once: its first position
    is kept.
-#}
{% macro impraise_child_entries(relation, parent, parent_key, fields, key) %}
    {%- set raw_columns = impraise_raw_columns(relation) -%}
    {%- set entry = fields[0][2] -%}
    select
        {{ impraise_surrogate_key([parent_key, entry]) }} as {{ key }},
        {{ parent_key }},
        {%- for field in fields %}
        {{ field[2] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            parent.{{ parent_key }},
            {%- for field in fields %}
            child.{{ field[2] }},
            {%- endfor %}
            row_number() over (
                partition by parent.{{ parent_key }}, child.{{ entry }}
                order by child.list_position
            ) as occurrence
        from (
            select
                {%- for field in fields %}
                {{ impraise_field(field[0], field[1], raw_columns) }} as {{ field[2] }},
                {%- endfor %}
                {{ impraise_field('_dlt_parent_id', 'string', raw_columns) }} as _dlt_parent_id,
                {{ impraise_field('_dlt_list_idx', 'int', raw_columns) }} as list_position
            from {{ impraise_raw_from(relation, raw_columns) }}
        ) as child
        inner join {{ parent }} as parent
            on child._dlt_parent_id = parent._dlt_id
        where child.{{ entry }} is not null
    ) as entries
    where occurrence = 1
{%- endmacro %}
