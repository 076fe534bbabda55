{#-
    `select <columns> from <raw table>`: the columns of a table of the `impraise`
    source as declared in _impraise__sources.yml (name and `data_type`), then the raw
    columns its pass-through var names (macros/pass_through.sql). In the spirit of
    Fivetran's get_<table>_columns() + fill_staging_columns.

    The loader creates every column it declares, from the first load on, so a
    declared column is missing only from a table another tool loaded, or from a
    variant column dlt has not needed yet (`rating__v_text`); it reads as a typed
    null. A table that does not exist (a bucket the token may not read never gets
    one) reads as no rows, so the rest of the build goes on.
-#}
{% macro impraise_select_declared_columns(table_name) -%}
    {%- set relation = source('impraise', table_name) -%}
    {%- if not execute -%}
        {#- parsing: nothing can be asked of the warehouse, and the SQL is not run -#}
        {{ return('select * from ' ~ relation) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if not present -%}
        {{ log(
            'impraise: source impraise.' ~ table_name ~ ' (' ~ relation ~ ') does not exist;'
            ~ ' staging it as empty', info=true
        ) }}
    {%- endif -%}
    {%- set columns = impraise_declared_columns(table_name) -%}
    {%- set declared_names = columns | map(attribute='name') | list -%}
    {%- for field in impraise_pass_through_columns(table_name) -%}
        {%- if field.name not in declared_names -%}
            {%- do columns.append({'name': field.name, 'data_type': 'text'}) -%}
        {%- endif -%}
    {%- endfor -%}
    select
    {%- for column in columns %}
        {% if column.name in present -%}
            {{ column.name }}
        {%- else -%}
            cast(null as {{ impraise_warehouse_type(column.data_type, table_name ~ '.' ~ column.name) }}) as {{ column.name }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- if present %}
    from {{ relation }}
    {%- else %}
    from (select 1 as placeholder) as missing_raw_table
    where 1 = 0
    {%- endif %}
{%- endmacro %}


{#- [{name, data_type}] of a table of the `impraise` source, as declared. -#}
{% macro impraise_declared_columns(table_name) %}
    {%- set tables = graph.sources.values()
        | selectattr('source_name', 'equalto', 'impraise')
        | selectattr('name', 'equalto', table_name) | list -%}
    {%- if not tables or not tables[0].columns -%}
        {{ exceptions.raise_compiler_error(
            "impraise: no columns declared for source table '" ~ table_name
            ~ "' in _impraise__sources.yml"
        ) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in tables[0].columns.values() -%}
        {%- do columns.append({'name': column.name | lower, 'data_type': column.data_type}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}


{#- The warehouse type of a declared `data_type` (the loader's names for them). -#}
{% macro impraise_warehouse_type(data_type, what) %}
    {%- set types = {
        'text': dbt.type_string(),
        'bigint': dbt.type_bigint(),
        'bool': dbt.type_boolean(),
        'timestamp': dbt.type_timestamp(),
    } -%}
    {%- if data_type not in types -%}
        {{ exceptions.raise_compiler_error(
            "impraise: " ~ what ~ " has data_type '" ~ data_type
            ~ "' in _impraise__sources.yml; expected one of " ~ types.keys() | join(', ')
        ) }}
    {%- endif -%}
    {{ return(types[data_type]) }}
{% endmacro %}
