{#- A deterministic text key from several columns (what dbt_utils'
    generate_surrogate_key does, built on dbt-core's cross-database hash and
    concat). Nulls get a marker so (a, null) and (null, a) differ. -#}
{% macro impraise_surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_impraise_null_')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
