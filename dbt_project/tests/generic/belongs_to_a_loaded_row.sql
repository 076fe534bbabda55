{#- Fails for every row whose `column_name` matches no `field` of `to`: a child row of
    a raw table that no row of its parent table holds. The loader deletes the entries
    of replaced versions after each load (`finish_load`); rows like these are what it
    leaves where it did not run. A raw table never loaded (a bucket the token cannot
    read) holds no row to check, as staging reads it: dbt's `relationships` would fail
    on the missing table instead. -#}
{% test belongs_to_a_loaded_row(model, column_name, to, field) %}

{%- set missing = [] -%}
{%- if execute -%}
    {%- for relation in (model, to) -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {%- do missing.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

{%- if not missing %}
select child.{{ column_name }}
from {{ model }} as child
left join {{ to }} as parent
    on child.{{ column_name }} = parent.{{ field }}
where
    child.{{ column_name }} is not null
    and parent.{{ field }} is null
{%- else %}
select null as {{ column_name }}
where 1 = 0
{%- endif %}

{% endtest %}
