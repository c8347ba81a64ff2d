// The data exchange's administrators' page (progressive enhancement): the
// grant form shows the fields of the service chosen in its list, and
// unticks those it hides; with no service chosen, every field.
(function () {
  'use strict';

  document.addEventListener('DOMContentLoaded', function () {
    var data = document.getElementById('service-fields');
    var select = document.getElementById('f-right_service');
    if (!data || !select) return;
    var fieldsOf = JSON.parse(data.textContent);
    var show = function () {
      var fields = fieldsOf[select.value];
      document.querySelectorAll('#grant input[name=right_fields]').forEach(function (box) {
        var offered = !fields || fields.indexOf(box.value) >= 0;
        box.closest('.radio').hidden = !offered;
        if (!offered) box.checked = false;
      });
    };
    select.addEventListener('change', show);
    show();
  });
})();
