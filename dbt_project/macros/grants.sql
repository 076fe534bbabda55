{#-
    Access by role: the models under models/marts carry dbt's `grants` config
    (`select` for the dbt var `reporting_role`, see dbt_project.yml), which grants
    each table as dbt builds it. dbt grants tables, not schemas, and a role needs
    USAGE on a schema too before it can read a table in it (PostgreSQL, Redshift,
    Snowflake): this on-run-end hook grants it, on the schemas of the granted models
    this run built and to the roles they were granted to, nothing else. Raw,
    staging, intermediate and history schemas hold no granted model, so the role
    never gets into them.
-#}
{% macro impraise_grant_schema_usage() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- dbt cannot read a var of dbt_project.yml's `vars:` block inside that file's own
        configs, so `reporting_role` set there would grant nothing, silently. -#}
    {%- set granted = graph.nodes.values() | selectattr('config.grants') | list -%}
    {%- for role_var in ('reporting_role', 'analyst_role') -%}
        {%- if var(role_var, '') and not granted -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ role_var ~ " is '" ~ var(role_var) ~ "' but no model is granted to it: "
                ~ "dbt does not apply vars set in dbt_project.yml to that file's configs. "
                ~ "Pass it on the command line: dbt build --vars '{" ~ role_var ~ ": "
                ~ var(role_var) ~ "}'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set grantees_by_schema = {} -%}
    {%- for result in results
        if result.status == 'success'
        and result.node.resource_type in ('model', 'snapshot', 'seed')
        and result.node.config.grants -%}
        {%- set key = (result.node.database, result.node.schema) -%}
        {%- set grantees = grantees_by_schema.setdefault(key, []) -%}
        {%- for granted in result.node.config.grants.values() -%}
            {%- for grantee in granted if grantee not in grantees -%}
                {%- do grantees.append(grantee) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for key, grantees in grantees_by_schema.items() | sort -%}
        {%- do statements.extend(impraise_schema_usage_sql(key[0], key[1], grantees)) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{% endmacro %}


{#- The statements that let `grantees` into one schema (a list: some warehouses need
    a grant on the database as well). -#}
{% macro impraise_schema_usage_sql(database, schema, grantees) %}
    {{ return(adapter.dispatch('impraise_schema_usage_sql')(database, schema, grantees)) }}
{% endmacro %}

{% macro default__impraise_schema_usage_sql(database, schema, grantees) %}
    {{ return(["grant usage on schema " ~ adapter.quote(schema) ~ " to " ~ grantees | join(', ')]) }}
{% endmacro %}

{% macro snowflake__impraise_schema_usage_sql(database, schema, grantees) %}
    {%- set statements = [] -%}
    {%- for grantee in grantees -%}
        {%- do statements.append("grant usage on database " ~ database ~ " to role " ~ grantee) -%}
        {%- do statements.append(
            "grant usage on schema " ~ database ~ "." ~ schema ~ " to role " ~ grantee
        ) -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}

{#- BigQuery: a table-level IAM grant (what dbt's grants apply) is enough to query
    the table. DuckDB has no roles. -#}
{% macro bigquery__impraise_schema_usage_sql(database, schema, grantees) %}
    {{ return([]) }}
{% endmacro %}

{% macro duckdb__impraise_schema_usage_sql(database, schema, grantees) %}
    {{ return([]) }}
{% endmacro %}
