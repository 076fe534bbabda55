{#-
    Pass-through columns, in the shape of Fivetran's packages: a field the API adds
    reaches the staging model and the table's mart without editing SQL. The var
    `impraise_<table>_pass_through_columns` is a list whose entries are either a raw
    column's name or {name: <raw column>, alias: <name downstream>, transform_sql: <SQL>}.
    `name` is the raw column as dlt names it (the API field in snake_case); `alias`
    defaults to `name`; `transform_sql`, an expression over the raw columns, defaults
    to the raw column as loaded. A raw column that does not exist yet reads as null.
-#}

{#- The var's entries, checked, each with its alias and transform_sql filled in. -#}
{% macro impraise_pass_through_columns(table_name) %}
    {%- set var_name = 'impraise_' ~ table_name ~ '_pass_through_columns' -%}
    {%- set entries = var(var_name, []) -%}
    {%- if entries is string or entries is mapping or entries is not iterable -%}
        {{ exceptions.raise_compiler_error(
            var_name ~ " must be a list of {name, alias, transform_sql}, not " ~ entries
        ) }}
    {%- endif -%}
    {%- set fields = [] -%}
    {%- for item in entries -%}
        {%- set entry = {'name': item} if item is string else item -%}
        {%- set unknown = entry.keys() | reject('in', ['name', 'alias', 'transform_sql']) | list
            if entry is mapping else [] -%}
        {%- if entry is not mapping or entry.get('name') is not string or unknown -%}
            {{ exceptions.raise_compiler_error(
                var_name ~ ": each entry needs a 'name' and may have 'alias' and"
                ~ " 'transform_sql', not " ~ item
            ) }}
        {%- endif -%}
        {%- do fields.append({
            'name': entry.name | lower,
            'alias': entry.get('alias') or entry.name | lower,
            'transform_sql': entry.get('transform_sql') or entry.name | lower,
        }) -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}


{#- `, transform_sql as alias, ...` for the pass-through columns, on the line after
    the last column of a staging model's select from the raw columns. -#}
{% macro impraise_fill_pass_through_columns(table_name) -%}
    {%- set columns = [] -%}
    {%- for field in impraise_pass_through_columns(table_name) -%}
        {%- do columns.append(field.transform_sql ~ ' as ' ~ field.alias) -%}
    {%- endfor -%}
    {{ impraise_listed_after(columns, table_name) }}
{%- endmacro %}


{#- `, [relation_alias.]alias, ...` for the pass-through columns, on the line after the
    last column of a select that carries them on from the staging model. -#}
{% macro impraise_persist_pass_through_columns(table_name, relation_alias=none) -%}
    {%- set columns = [] -%}
    {%- for field in impraise_pass_through_columns(table_name) -%}
        {%- do columns.append((relation_alias ~ '.' if relation_alias else '') ~ field.alias) -%}
    {%- endfor -%}
    {{ impraise_listed_after(columns, table_name) }}
{%- endmacro %}


{#- `, a, b` continuing a select list; without columns, a comment saying where
    they would go (a blank line would count against it in sqlfluff's indentation
    check). -#}
{% macro impraise_listed_after(columns, table_name) -%}
    {%- if columns -%}
        , {{ columns | join(', ') }}
    {%- else -%}
        -- no pass-through columns (var impraise_{{ table_name }}_pass_through_columns)
    {%- endif -%}
{%- endmacro %}
