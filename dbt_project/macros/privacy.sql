{#-
    Privacy floor for aggregates (Impraise shows no result that summarises fewer
    than a handful of people, so nobody's rating or anonymous feedback can be
    singled out).

    `min_group_size` (var, default 5) is the smallest number of distinct people an
    aggregate of ratings or of anonymous feedback may summarise. Below it the value
    is nulled and an `is_*_suppressed` flag says why. The var may be raised, never
    set below 3: that fails compilation, because a group of 1 or 2 is no
    protection at all.
-#}
{% macro impraise_min_group_size() -%}
    {%- set raw_value = var('min_group_size', 5) -%}
    {%- set size = raw_value | int(-1) -%}
    {%- if size < 3 -%}
        {{ exceptions.raise_compiler_error(
            "var min_group_size is '" ~ raw_value ~ "', but it must be a whole number of at least 3: "
            ~ "aggregates over fewer than 3 people would let a reader identify individual ratings "
            ~ "or anonymous feedback. Set it to 3 or more (default 5)."
        ) }}
    {%- endif -%}
    {{ return(size) }}
{%- endmacro %}


{#- `expression` when `people_count` reaches the floor, else null. -#}
{% macro impraise_suppress_small_group(expression, people_count) -%}
    case when {{ people_count }} >= {{ impraise_min_group_size() }} then {{ expression }} end
{%- endmacro %}


{#- An average rating (two decimals), null when `people_count` is below the floor. -#}
{% macro impraise_suppressed_rating(average, people_count) -%}
    {{ impraise_decimal(impraise_suppress_small_group(average, people_count), 2) }}
{%- endmacro %}


{#- True when an aggregate over `people_count` people must be suppressed. -#}
{% macro impraise_is_small_group(people_count) -%}
    (coalesce({{ people_count }}, 0) < {{ impraise_min_group_size() }})
{%- endmacro %}
